namespace CamStudio.Web.Cluster;

/// <summary>How a worker names itself in the Workers panel and in job progress.</summary>
public sealed record WorkerIdentity(string Name);
