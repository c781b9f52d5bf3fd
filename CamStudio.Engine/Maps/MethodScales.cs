namespace CamStudio.Engine.Maps;

/// <summary>
/// "One shared scale" done right: one raw range per method, shared by all that method's maps (its classes, its
/// photos). A method's raw values compare across classes; different methods' raw values do not (Eigen-CAM's −18…46
/// beside Grad-CAM's 0…0.3 would turn Grad-CAM into a flat wash), so a range is never shared across methods.
/// </summary>
public static class MethodScales
{
    /// <summary>The shared range of each method's maps, keyed by method (maps without a method key are not given).</summary>
    public static IReadOnlyDictionary<TMethod, ValueRange> Of<TMethod>(IEnumerable<(TMethod Method, CamMap Map)> maps)
        where TMethod : notnull =>
        maps.GroupBy(m => m.Method).ToDictionary(g => g.Key, g => ValueRange.Shared(g.Select(m => m.Map)));
}
