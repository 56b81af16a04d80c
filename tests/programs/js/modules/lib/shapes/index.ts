import type { Shape } from '../geometry';
import { area } from '../geometry.js'; // TypeScript's convention: .js names the .ts file

export const describe = (shape: Shape): string => `${shape.kind} of area ${area(shape)}`;
