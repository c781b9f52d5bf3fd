namespace CamStudio.Engine.Runtime;

/// <summary>How long a piece of <see cref="TorchExecutor"/> work holds the torch thread, which decides whether it may run between another's chunks.</summary>
public enum WorkCost
{
    /// <summary>Anything not known to be short (model loads, a job's batch, Score-CAM): never run inside other work.</summary>
    Long,

    /// <summary>
    /// A short explanation that creates every tensor in its own dispose scope and returns none: may run on the torch
    /// thread between the chunks of another owner's long work (<see cref="TorchExecutor.RunQuickWorkOfOthers"/>).
    /// </summary>
    Quick,
}
