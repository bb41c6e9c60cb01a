// cluster-key-slot ships no types: it computes the Redis Cluster slot (CRC16 of the hash tag) of a key.
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    function generateMulti(keys: Array<string | Buffer>): number;
  }
  export = calculateSlot;
}
