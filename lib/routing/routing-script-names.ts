import type { ScriptSet } from '../core/scripts/script-runner';
import { ROUTING_LUA } from './routing-scripts.generated';

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

/** The routing feature's script set, built from `lua/routing/` (each name: its file, its key count from its header). */
export const ROUTING_SCRIPTS = ROUTING_LUA satisfies ScriptSet<ScriptName>;

export type RoutingScripts = typeof ROUTING_SCRIPTS;
