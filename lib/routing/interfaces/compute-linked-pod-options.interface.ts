export interface ComputeLinkedPodOptions {
  /** Pod states that may take the user; default: the module's `routableStates`. */
  states?: string[];
}
