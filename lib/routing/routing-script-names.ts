import type { ScriptSet } from '../core/scripts/script-runner';

/** The scripts of `lua/` named as in the Java and Go implementations, so that operators recognise them. */
export const IN_HOUSE_SCRIPT_NAMES = [
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

/** The scripts of pod lifecycle (liveness, sweep, batch pod reports, dashboard reads), which only this library has. */
const LIFECYCLE_SCRIPT_NAMES = [
  'statefulGetLiveServicePod',
  'statefulGetPods',
  'statefulSetServiceStates',
  'statefulRemovePodLink',
  'statefulSweepSilentPods',
  'statefulGetUserLinks',
] as const;

/** Every script of `lua/routing/`. */
export const SCRIPT_NAMES = [...IN_HOUSE_SCRIPT_NAMES, ...LIFECYCLE_SCRIPT_NAMES] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** The routing feature's script set: each name → `routing/<name>` under `lua/`. */
export const ROUTING_SCRIPTS = Object.fromEntries(
  SCRIPT_NAMES.map((name) => [name, `routing/${name}`]),
) as ScriptSet<ScriptName>;
