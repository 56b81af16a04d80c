// A helper the workspace program imports.
export const double = (x) => x * 2;
