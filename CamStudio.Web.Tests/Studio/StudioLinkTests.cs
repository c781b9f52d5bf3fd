using CamStudio.Web.Studio;

namespace CamStudio.Tests.Web;

public sealed class StudioLinkTests
{
    [Fact]
    public void AnExplorerStateSurvivesTheTripThroughItsUrl()
    {
        var photo = Guid.Parse("0123456789abcdef0123456789abcdef");
        var link = new StudioLink(photo, "resnet18", "gradcam++", "layer4", 282, "viridis", 0.75, 1, [243, 282], ["gradcam", "gradcam++"], true);

        string query = link.ToQuery();
        StudioLink back = StudioLink.Parse(query);

        Assert.Equal("?img=0123456789abcdef0123456789abcdef&model=resnet18&method=gradcam%2B%2B&layer=layer4&class=282&cmap=viridis&opacity=0.75&tab=grid&gc=243%2C282&gm=gradcam%2Cgradcam%2B%2B&scale=method", query);
        Assert.Equal(photo, back.Photo);
        Assert.Equal("resnet18", back.Model);
        Assert.Equal("gradcam++", back.Method);
        Assert.Equal("layer4", back.Layer);
        Assert.Equal(282, back.Class);
        Assert.Equal("viridis", back.Colormap);
        Assert.Equal(0.75, back.Opacity);
        Assert.Equal(1, back.Tab);
        Assert.Equal([243, 282], back.GridClasses!);
        Assert.Equal(["gradcam", "gradcam++"], back.GridMethods!);
        Assert.True(back.SharedScale);
    }

    [Fact]
    public void TheDefaultStateIsThePlainUrlAndMalformedValuesAreDropped()
    {
        Assert.Equal("", new StudioLink().ToQuery());

        StudioLink parsed = StudioLink.Parse("?img=not-a-guid&class=-3&opacity=7&tab=sideways&gc=1,x,2,1&scale=yes");

        Assert.Null(parsed.Photo);
        Assert.Null(parsed.Class);
        Assert.Null(parsed.Opacity);
        Assert.Equal(0, parsed.Tab);
        Assert.Equal([1, 2], parsed.GridClasses!);
        Assert.False(parsed.SharedScale);
    }
}

public sealed class ClassSearchTests
{
    private static readonly string[] Labels = ["tench", "crane", "goldfish", "crane", "tabby, tabby cat", "tiger cat"];

    [Fact]
    public void WithoutTextTheTopPredictionsComeFirstThenEveryOtherClass()
    {
        IEnumerable<Home.ClassOption> found = ClassSearch.Find(Labels, null, [3, 5, 1]);

        Assert.Equal([3, 5, 1, 0, 2, 4], found.Select(c => c.Index));
    }

    [Fact]
    public void ASynonymOrAnIndexFindsItsClassFirst()
    {
        Assert.Equal(4, ClassSearch.Find(Labels, "tabby cat").First().Index); // a synonym, before "tiger cat"'s substring
        Assert.Equal(3, ClassSearch.Find(Labels, "#3").First().Index);
        Assert.Equal([1, 3], ClassSearch.Find(Labels, "crane").Select(c => c.Index)); // both cranes, told apart by index
        Assert.Empty(ClassSearch.Find(Labels, "zebra"));
    }
}
