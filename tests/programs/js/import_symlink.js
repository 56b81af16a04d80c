// Hostile: imports through a symlink planted in the workspace that points outside it.
import "./escape-link/secret.js";
