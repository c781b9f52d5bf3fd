namespace CamStudio.Web.Hosting;

/// <summary>A setting the server must not start with (Program prints the message, no stack, and exits with 2).</summary>
public sealed class StartupRefusedException(string message) : Exception(message);
