using CamStudio.Engine.Cam.Methods;

namespace CamStudio.Engine.Cam;

/// <summary>Every CAM method the engine knows, by id.</summary>
public static class CamMethods
{
    public static IReadOnlyList<ICamMethod> All { get; } =
    [
        new ClassicCam(),
        new GradCam(),
        new GradCamPlusPlus(),
        new XGradCam(),
        new HiResCam(),
        new LayerCam(),
        new EigenCam(),
        new ScoreCam(),
        new FasterScoreCam(),
        new SsCam(),
        new IsCam(),
        new AblationCam(),
        new GradCamElementWise(),
        new EigenGradCam(),
        new SmoothGradCamPlusPlus(),
        new ShapleyCam(),
        new FullGrad(),
        new KpcaCam(),
        new Fem(),
        new FinerCam(),
        new LeGrad(),
    ];

    public static IEnumerable<string> Ids => All.Select(m => m.Id);

    /// <summary>The method with this id (case-insensitive); an error listing the valid ids otherwise.</summary>
    public static ICamMethod Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return All.FirstOrDefault(m => string.Equals(m.Id, id.Trim(), StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException(
                   $"Unknown CAM method '{id}'. Valid methods: {string.Join(", ", Ids)}.");
    }
}
