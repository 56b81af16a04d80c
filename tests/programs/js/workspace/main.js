// Imports a saved helper from /workspace.
import { double } from "./lib/helpers.js";
console.log(double(21));
