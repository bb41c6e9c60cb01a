/** The scripts of `lua/`, named as in the Java and Go implementations so that operators recognise them. */
export const SCRIPT_NAMES = [
  'statefulSetLink',
  'statefulTrySetLink',
  'statefulSetLinkIfAbsent',
  'statefulRemoveLink',
  'statefulRemoveLinkWithId',
  'statefulGetLinkIfPersist',
  'statefulComputeLinkIfAbsent',
  'statefulGetServicePod',
  'statefulGetService',
  'statefulSetState',
  'statefulGetLinkService',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];
