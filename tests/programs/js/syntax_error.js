// A syntax error points at line and column.
const fine = 1;
const broken = (;
