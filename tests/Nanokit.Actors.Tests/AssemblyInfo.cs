// Timing-sensitive specs (timers, backoff) and the load specs share two cores: run classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
