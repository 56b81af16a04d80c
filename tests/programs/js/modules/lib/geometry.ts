/** Shapes and their areas. */
export interface Shape {
  kind: 'square';
  side: number;
}

export function area(shape: Shape): number {
  const side: number = shape.side;
  return side * side;
}
