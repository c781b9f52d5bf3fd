using System.Text;

namespace CamStudio.Engine.Models;

/// <summary>
/// Text from a user's file or from native code made fit for one line of a terminal, a log or an HTTP error: names in
/// an ONNX graph may hold terminal escapes, and libtorch errors carry a C++ backtrace.
/// </summary>
public static class DisplayText
{
    /// <summary>
    /// The first line of a native error, control characters escaped: libtorch appends a C++ backtrace
    /// ("Exception raised from … frame #0: …") that means nothing to a user.
    /// </summary>
    public static string NativeMessage(Exception ex)
    {
        string message = ex.Message;
        int newline = message.IndexOfAny(['\r', '\n']);
        if (newline >= 0)
            message = message[..newline];
        int raised = message.IndexOf("Exception raised from", StringComparison.Ordinal);
        if (raised > 0)
            message = message[..raised];
        return EscapeControl(message.TrimEnd());
    }

    /// <summary>Control characters (terminal escapes, newlines) as \n, \t or \u001b, so a message stays one harmless line.</summary>
    public static string EscapeControl(string text)
    {
        if (!text.Any(char.IsControl))
            return text;
        var builder = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }
}
