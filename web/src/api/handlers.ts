/**
 * What a page does around one of its changes (say it is done, clear or show its form's errors), beside
 * what the feature's hook does itself (invalidate or update what the change affects).
 */
export interface MutationHandlers<T, V> {
  onMutate?: (variables: V) => void;
  onSuccess?: (data: T, variables: V) => void;
  onError?: (error: Error, variables: V) => void;
}
