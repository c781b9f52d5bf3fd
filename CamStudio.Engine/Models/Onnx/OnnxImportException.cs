namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// An ONNX model that cannot be imported or run: unreadable bytes, an operator CamStudio cannot execute,
/// a graph that references a tensor nobody produces, or an input of the wrong shape. The message names the
/// file and what was wrong, ready to show to a user.
/// </summary>
public sealed class OnnxImportException : Exception
{
    public OnnxImportException(string message) : base(message) { }

    public OnnxImportException(string message, Exception inner) : base(message, inner) { }
}
