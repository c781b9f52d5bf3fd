namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// The photo size an imported classifier takes when its graph says so: an input declared N×C×H×W with H and W fixed
/// (inception_v3's 299×299). A graph with dynamic H and W takes whatever size the model's preprocessing gives it.
/// </summary>
public static class OnnxInputSize
{
    /// <summary>Width and height of an input declared N×C×H×W with both fixed, else null.</summary>
    public static (int Width, int Height)? Declared(OnnxGraphInput input) =>
        input.Shape is [_, _, long h, long w] && h is > 0 and <= int.MaxValue && w is > 0 and <= int.MaxValue ? ((int)w, (int)h) : null;

    /// <summary>The declared size read from an .onnx file without compiling it; throws <see cref="OnnxImportException"/> if unreadable.</summary>
    public static (int Width, int Height)? Declared(string path) => Declared(OnnxGraphModule.ReadInput(path));

    /// <summary>A message for a photo size the graph's fixed input size refuses, saying how to fix it.</summary>
    internal static string Advice((int Width, int Height) declared) => declared.Width == declared.Height
        ? $"the model takes {declared.Width}×{declared.Height} photos, so set its input size to {declared.Width} (manifest field 'inputSize', " +
          $"'models add --input-size {declared.Width}') or leave the size out to use the model's own"
        : $"the model takes {declared.Width}×{declared.Height} (width × height) photos";
}
