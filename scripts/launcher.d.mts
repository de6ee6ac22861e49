/** Types of scripts/launcher.mjs (plain JavaScript: the build runs it with node alone). */
export declare const NODE_FLAGS: string[];
export declare const MALLOC_TUNABLES: string;
export declare function launcherLines(): string;
