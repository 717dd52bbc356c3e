// Builds the platform's stylesheet and scripts into inclusion/static.
// GOV.UK Frontend is compiled from its Sass with our own font stack, so no
// GDS Transport font, crown or GOV.UK imagery is shipped.
import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "inclusion", "static");
mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const result = sass.compile(join(root, "assets", "app.scss"), {
  importers: [new sass.NodePackageImporter()],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "css", "app.css"), result.css);

const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "js", "govuk-frontend.min.js"));
copyFileSync(join(root, "assets", "app.mjs"), join(out, "js", "app.mjs"));
copyFileSync(join(root, "assets", "favicon.svg"), join(out, "favicon.svg"));
console.log("assets built into inclusion/static");
