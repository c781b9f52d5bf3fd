using CamStudio.Engine.Cam.Features;

namespace CamStudio.Engine;

/// <summary>The request-wide features of a plan (several layers, smoothing, guided backpropagation).</summary>
public sealed partial class ExplainPlan
{
    private readonly ExplainFeatures? _features;

    /// <summary>The layers (fused when several), smoothing and guided backpropagation, as checked by the plan.</summary>
    public ExplainFeatures Features
    {
        get => _features ?? ExplainFeatures.Plain(Layer.Name);
        internal init => _features = value;
    }
}
