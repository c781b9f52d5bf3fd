using CamStudio.Web.Access;

namespace CamStudio.Tests.Web;

/// <summary>The redirect after the code goes only to a path on this server.</summary>
public sealed class LocalRedirectTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/jobs")]
    [InlineData("/jobs/abc?x=1&y=%2F%2Fevil")]
    [InlineData("/present#top")]
    public void PathsOnThisServerAreLocal(string url) => Assert.True(LocalRedirect.IsLocalUrl(url));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("//evil.example/")] // scheme-relative: another host
    [InlineData("/\\evil.example/")] // browsers read \ as /
    [InlineData("/\t/evil.example/")] // browsers drop tabs, leaving //evil.example
    [InlineData("/\n/evil.example/")]
    [InlineData("/jobs\r\nSet-Cookie: x=1")]
    [InlineData("http://evil.example/")]
    [InlineData("https:evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("jobs")]
    [InlineData("\\\\evil.example")]
    public void AnythingElseIsNot(string? url)
    {
        Assert.False(LocalRedirect.IsLocalUrl(url));
        Assert.Equal("/", LocalRedirect.OrRoot(url));
    }
}
