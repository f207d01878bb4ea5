/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Preact's JSX runtime through esbuild: no Babel preset needed for a production build.
export default defineConfig({
  // Relative asset URLs: the same build works at a domain's root or under a path (S3 + CloudFront).
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: { alias: { react: "preact/compat", "react-dom": "preact/compat" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` proxies the API to a `parley dev` on 8000, so the client stays same-origin.
    proxy: Object.fromEntries(
      ["/conversations", "/dev", "/models", "/usage", "/health", "/attachments"].map((p) => [
        p,
        { target: "http://127.0.0.1:8000", changeOrigin: false },
      ]),
    ),
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
