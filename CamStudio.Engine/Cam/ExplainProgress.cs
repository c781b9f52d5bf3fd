namespace CamStudio.Engine.Cam;

/// <summary>How far the extra forward passes of a slow explanation (Score-CAM, Ablation-CAM) have got.</summary>
/// <param name="DoneForwards">Forward passes done so far (one per perturbed copy of a photo).</param>
/// <param name="TotalForwards">Forward passes the whole explanation needs.</param>
/// <param name="Elapsed">Time since the explanation started its extra passes.</param>
/// <param name="Remaining">Estimated time left (from the pace so far), or null before any pass finished.</param>
public sealed record ExplainProgress(long DoneForwards, long TotalForwards, TimeSpan Elapsed, TimeSpan? Remaining)
{
    /// <summary>Done share in [0, 1].</summary>
    public double Fraction => TotalForwards <= 0 ? 1 : Math.Clamp((double)DoneForwards / TotalForwards, 0, 1);
}
