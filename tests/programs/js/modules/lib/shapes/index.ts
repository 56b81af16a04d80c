import type { Shape } from '../geometry';
import { area } from '../geometry';

export const describe = (shape: Shape): string => `${shape.kind} of area ${area(shape)}`;
