import { render } from "preact";
import { loadConfig } from "./config";
import { App } from "./ui/App";
import { applyTheme, loadTheme } from "./ui/theme";
import "./styles.css";

applyTheme(loadTheme());
void loadConfig().then((config) => render(<App config={config} />, document.getElementById("app")!));
