"""Local mode: AWS emulated in-process (moto), so everything runs offline on one machine."""
