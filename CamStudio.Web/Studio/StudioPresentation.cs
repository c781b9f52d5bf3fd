using CamStudio.Web.Presenter;
using CamStudio.Engine.Maps;

namespace CamStudio.Web.Studio;

/// <summary>What followers of a presentation see: the current tab's overlays, as already rendered by the studio.</summary>
internal static class StudioPresentation
{
    /// <summary>The grid on the side-by-side tab once all its cells are drawn, else the explored map; null when nothing is shown.</summary>
    public static PresenterState? Of(StudioState state, ExploreView explore, ComparisonGrid grid)
    {
        if (state.Photo is not { } photo)
            return null;
        List<PresentedPrediction> predictions = state.Predictions.Select(p => new PresentedPrediction(p.ClassName, p.Probability)).ToList();
        byte[]? colorBar = state.ColorBarPngs.GetValueOrDefault(state.Colormap);
        float Probability(int classIndex) => state.Predictions.FirstOrDefault(p => p.ClassIndex == classIndex)?.Probability ?? 0f;
        if (state.Tab == 1 && grid.View is { } view && ReferenceEquals(view.Photo, photo) && view.Cells.All(row => row.All(c => c.Png is not null)))
        {
            var overlays = view.Classes.Zip(view.Cells).SelectMany(pair => pair.Second.Select((cell, column) =>
            {
                ValueRange range = view.ColumnRange(column) ?? new ValueRange(cell.Map.Map.Min, cell.Map.Map.Max);
                return new PresentedOverlay(view.Methods[column].DisplayName, pair.First.Index, pair.First.Name, Probability(pair.First.Index), cell.Png!, range.Min, range.Max);
            })).ToList();
            return new PresenterState(photo.FileName, null, state.Model, view.Classes.Select(c => c.Name).ToList(),
                view.Methods.Select(m => m.DisplayName).ToList(), state.Layer, state.Colormap, (float)state.Opacity, view.ColumnRanges is not null, overlays,
                predictions, colorBar);
        }
        if (explore.Overlay is { } shown)
        {
            string method = state.MethodName(shown.Map.Method);
            return new PresenterState(photo.FileName, null, state.Model, [shown.Map.ClassName], [method], shown.Map.Layer,
                state.Colormap, (float)state.Opacity, false,
                [new PresentedOverlay(method, shown.Map.ClassIndex, shown.Map.ClassName, Probability(shown.Map.ClassIndex), shown.Png, shown.Map.Map.Map.Min, shown.Map.Map.Map.Max)],
                predictions, colorBar);
        }
        return null;
    }
}
