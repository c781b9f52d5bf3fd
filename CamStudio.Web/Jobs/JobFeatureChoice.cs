namespace CamStudio.Web.Jobs;

/// <summary>What the jobs form's <see cref="JobFeaturesFields"/> holds, put into a job's settings on submission.</summary>
public sealed class JobFeatureChoice
{
    public List<string> FusedLayers { get; set; } = [];

    public string Fuse { get; set; } = CamStudio.Web.Studio.StudioFeatures.Fusions[0];

    public bool AugSmooth { get; set; }

    public bool EigenSmooth { get; set; }

    /// <summary>Guided backpropagation and Guided Grad-CAM of every map.</summary>
    public bool Guided { get; set; }

    /// <summary>Deep Feature Factorization of every photo into <see cref="ConceptCount"/> concepts.</summary>
    public bool Concepts { get; set; }

    public int ConceptCount { get; set; } = JobConceptSettings.DefaultCount;

    /// <summary><paramref name="settings"/> with these features: the fused layers after the job's own layer.</summary>
    public JobSettings ApplyTo(JobSettings settings)
    {
        List<string> layers = FusedLayers.Count == 0 ? [] : [settings.Layer, .. FusedLayers.Where(l => l != settings.Layer)];
        return settings with
        {
            Layers = layers.Count > 1 ? layers : settings.Layers,
            Fuse = layers.Count > 1 ? Fuse : settings.Fuse,
            AugSmooth = AugSmooth,
            EigenSmooth = EigenSmooth,
            Guided = Guided,
            Concepts = Concepts ? new JobConceptSettings(ConceptCount) : null,
        };
    }
}
