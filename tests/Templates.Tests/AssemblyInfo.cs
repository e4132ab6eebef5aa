// Image builds take both cores; the container tests time restarts: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
