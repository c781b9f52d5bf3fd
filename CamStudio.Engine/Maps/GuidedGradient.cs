namespace CamStudio.Engine.Maps;

/// <summary>
/// Guided backpropagation's result for one class of one photo: ∂y_c/∂input with every rectifier passing back only
/// positive gradient, at the model input's resolution. An image, not a heatmap: three signed channels (R, G, B).
/// </summary>
/// <param name="ClassIndex">The explained class.</param>
/// <param name="ClassName">Its label.</param>
/// <param name="Width">The model input's width.</param>
/// <param name="Height">The model input's height.</param>
/// <param name="Values">3 × Height × Width values, channel-major (all of R, then G, then B), row-major within a channel.</param>
public sealed record GuidedGradient(int ClassIndex, string ClassName, int Width, int Height, float[] Values);
