namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// An ONNX model that cannot be imported or run: unreadable bytes, an operator CamStudio cannot execute,
/// a graph that references a tensor nobody produces, or an input of the wrong shape. The message names the
/// file and what was wrong, ready to show to a user.
/// </summary>
public sealed class OnnxImportException : Exception
{
    // Node and tensor names come from the user's file: control characters are escaped so a message stays one harmless line.
    public OnnxImportException(string message) : base(DisplayText.EscapeControl(message)) { }

    public OnnxImportException(string message, Exception inner) : base(DisplayText.EscapeControl(message), inner) { }
}
