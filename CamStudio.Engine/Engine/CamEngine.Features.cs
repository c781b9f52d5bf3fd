using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Models;

namespace CamStudio.Engine;

/// <summary>The request-wide features (several layers + fusion, aug/eigen smoothing, guided backpropagation), checked in the plan.</summary>
public sealed partial class CamEngine
{
    /// <summary>Most layers one request fuses: each costs a forward and a backward per class.</summary>
    public const int MaxFusedLayers = 8;

    private static (LayerInfo Layer, ExplainFeatures Features) ResolveFeatures(ResolvedModel m, CamRequest request, ref IReadOnlyList<ICamMethod> methods)
    {
        List<string> named = (request.Layers ?? []).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).ToList();
        if (named.Count > MaxFusedLayers)
            throw new CamRequestException(CamRequestErrorKind.TooMuchWork, CamRequestFields.Layer,
                $"{named.Count} layers in one request; fuse at most {MaxFusedLayers}.");
        List<LayerInfo> layers = named.Count == 0 ? [ResolveLayer(m, request.Layer)] : named.Select(l => ResolveLayer(m, l)).DistinctBy(l => l.Name).ToList();

        LayerFusion fusion = LayerFusion.Mean;
        if (!string.IsNullOrWhiteSpace(request.Fuse))
        {
            fusion = LayerFusions.Parse(request.Fuse) ?? throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Fuse,
                $"Unknown fusion '{request.Fuse.Trim()}'. Fusions: {string.Join(", ", LayerFusions.Names)}.");
        }

        if (request.EigenSmooth)
        {
            if (!methods.Any(x => x is IChannelTermsMethod))
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.EigenSmooth,
                    $"eigen_smooth takes the principal component of a method's per-channel terms; none of {string.Join(", ", methods.Select(x => x.Id))} has them. " +
                    "Methods that do: cam, gradcam, gradcam++, xgradcam, hirescam, layercam.");
            methods = methods.Select(x => x is IChannelTermsMethod terms ? new EigenSmoothed(terms) : x).ToList();
        }

        if (request.Guided && WhyNoGuided(m) is { } whyNot)
            throw new CamRequestException(CamRequestErrorKind.MethodNotApplicable, CamRequestFields.Guided, whyNot);

        return (layers[0], new ExplainFeatures(layers.Select(l => l.Name).ToList(), fusion, request.AugSmooth, request.EigenSmooth, request.Guided));
    }

    /// <summary>Why <see cref="CamRequest.Guided"/> cannot run on model <paramref name="m"/>, or null when it can.</summary>
    private static string? WhyNoGuided(ResolvedModel m)
    {
        bool gradients = m.Model.Capabilities.HasFlag(ModelCapabilities.Gradients);
        return gradients && m.Model is IRectifierTaping { HasRectifiers: true } ? null
            : $"Guided backpropagation needs gradients to the input through ReLU/ReLU6 (ONNX Relu/Clip) layers; model '{m.Name}' " +
              (gradients ? "has no rectifier the engine can guide." : "gives no gradients.");
    }
}
