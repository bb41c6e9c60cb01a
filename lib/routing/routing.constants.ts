/** Returned wherever "no pod" is the answer. */
export const NO_POD = -1;
