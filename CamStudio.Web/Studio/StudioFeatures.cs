using CamStudio.Engine;

namespace CamStudio.Web.Studio;

/// <summary>
/// The request-wide features the user turned on in the studio (<see cref="RequestFeaturesEditor"/>): layers fused
/// with the picked one and how, aug_smooth, eigen_smooth, guided backpropagation. They are the user's wishes; what one
/// request carries is <see cref="StudioState.FeaturesFor"/> of them (eigen_smooth only for the methods that take it).
/// </summary>
public sealed record StudioFeatures
{
    /// <summary>The fusions the engine knows (<see cref="CamRequest.Fuse"/>), first the default.</summary>
    public static IReadOnlyList<string> Fusions { get; } = ["mean", "max", "layercam", "refine"];

    public static StudioFeatures None { get; } = new();

    /// <summary>Layers fused with the picked layer (none: the picked layer alone).</summary>
    public IReadOnlyList<string> FusedLayers { get; init; } = [];

    public string Fuse { get; init; } = Fusions[0];

    public bool AugSmooth { get; init; }

    public bool EigenSmooth { get; init; }

    public bool Guided { get; init; }

    public bool IsNone => FusedLayers.Count == 0 && !AugSmooth && !EigenSmooth && !Guided;
}

/// <summary>
/// The features of one request as the engine gets them (<see cref="ApplyTo"/>), and the text that keeps each
/// method's maps apart in the session's cache (<see cref="KeyOf"/>): maps made another way are other maps.
/// </summary>
/// <param name="Layers">Two or more layers to fuse, or none (the request's one layer).</param>
/// <param name="Fuse">How, when <paramref name="Layers"/> are given.</param>
/// <param name="EigenSmoothed">The methods eigen_smooth applies to (the engine smooths exactly those that take it).</param>
public sealed record FeatureRequest(IReadOnlyList<string> Layers, string? Fuse, bool AugSmooth, IReadOnlySet<string> EigenSmoothed, bool Guided)
{
    public static FeatureRequest None { get; } = new([], null, false, new HashSet<string>(), false);

    public CamRequest ApplyTo(CamRequest request) => request with
    {
        Layers = Layers,
        Fuse = Layers.Count > 0 ? Fuse : null,
        AugSmooth = AugSmooth,
        EigenSmooth = EigenSmoothed.Count > 0,
        Guided = Guided,
    };

    /// <summary>Guided backpropagation does not change a map: the maps' key leaves it out.</summary>
    public string KeyOf(string method) =>
        (Layers.Count > 0 ? $"{string.Join("+", Layers)}/{Fuse}" : "") + (AugSmooth ? "/aug" : "") + (EigenSmoothed.Contains(method) ? "/eigen" : "");
}
