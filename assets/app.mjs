// Starts GOV.UK Frontend's components; loaded as a module, never inline.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
