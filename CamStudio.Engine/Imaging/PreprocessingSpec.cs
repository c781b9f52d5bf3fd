namespace CamStudio.Engine.Imaging;

/// <summary>How a photo is resized before it enters the model.</summary>
public enum ResizeMode
{
    /// <summary>The whole photo is resized to the input size (aspect ratio not kept), so the map covers all of it.</summary>
    Stretch,

    /// <summary>The shorter side is resized to the input size and the centre cropped (torchvision's classic eval transform).</summary>
    CenterCrop,
}

/// <summary>Per-model input description: size, resize rule and per-channel normalisation of RGB in [0, 1].</summary>
public sealed record PreprocessingSpec(int InputWidth, int InputHeight, float[] Mean, float[] Std, ResizeMode Resize)
{
    public static PreprocessingSpec ImageNet(int size = 224) =>
        new(size, size, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], ResizeMode.Stretch);
}
