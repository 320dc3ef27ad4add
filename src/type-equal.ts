// Compile-time checks that a public type and the raw binding type it mirrors (src/native.ts) are
// the same, so that the two definitions cannot drift apart. Types only: nothing runs.

/** true when A and B are identical (every property, its optionality and readonly included). */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when T is true: `type _Check = Assert<Same<PublicX, RawX>>`. */
export type Assert<T extends true> = T;
