// Imports as a bundler resolves them: TypeScript with its types stripped, extensionless paths, index files, JSON, Node's path.
import { area, type Shape } from './lib/geometry';
import { describe } from './lib/shapes';
import settings from './settings.json' with { type: 'json' };
import sameSettings from './settings.json';
import { twice } from './lib/plain.mjs';
import path from 'node:path';

const square: Shape = { kind: 'square', side: 3 };
console.log(area(square), describe(square), twice(21));
console.log(settings.name, settings.sizes, sameSettings.name === settings.name);
const later = await import('./lib/geometry');
console.log(later.area({ kind: 'square', side: 2 }));
