namespace CamStudio.Engine.Runtime;

/// <summary>Which queue of the <see cref="TorchExecutor"/> a piece of work waits in.</summary>
public enum WorkPriority
{
    /// <summary>A person is waiting for it (a click in the studio): runs before any queued batch work.</summary>
    Interactive,

    /// <summary>Background work (a folder of photos): runs when no interactive work is queued.</summary>
    Batch,
}
