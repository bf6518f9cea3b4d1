import pkg from '../package.json' with { type: 'json' };

/** The code version that wrote an artifact (package.json's version): stamped into every partition file. */
export const CODE_VERSION: string = pkg.version;
