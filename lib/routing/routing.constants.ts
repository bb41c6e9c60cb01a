/** Returned wherever "no pod" is the answer. */
export const NO_POD = -1;

/** The state a sweep gives a pod gone silent (`markSilentPod`): in no gateway's routable states. */
export const SILENT_POD_STATE = 'silent';
