namespace CamStudio.Web.Studio;

/// <summary>One line of a <see cref="CurveChart"/>: the engine's curve points (fractions perturbed, class probability).</summary>
/// <param name="Name">The method id or baseline name (for tests and styling).</param>
/// <param name="Label">What the legend says.</param>
/// <param name="IsMethod">The explained method's curve (drawn bold), not a baseline's.</param>
public sealed record CurveSeries(string Name, string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool IsMethod);
