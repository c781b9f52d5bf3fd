using CamStudio.Web.Access;
using CamStudio.Web.Presenter;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Web;

/// <summary>One presenter at a time, per tab (two tabs of the host are two presenters, not one).</summary>
public sealed class PresenterSeatTests
{
    private static PresenterSession NewSession()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSignalR();
        services.AddSingleton<PresenterSession>();
        return services.BuildServiceProvider().GetRequiredService<PresenterSession>();
    }

    private static PresenterState State(string photo) => new(photo, null, "m", ["c"], ["gradcam"], "auto", "jet", 0.5f, false,
        [new PresentedOverlay("gradcam", 1, "c", 0.5f, [0x89])]);

    [Fact]
    public void ASecondTabOfTheHostIsRefusedAndSaysWhoPresents()
    {
        PresenterSession session = NewSession();
        PresenterSeat first = PresenterSeat.NewTab(StudioCaller.Host), second = PresenterSeat.NewTab(StudioCaller.Host);

        session.Publish(State("a.png"), first);
        var refused = Assert.Throws<PresenterBusyException>(() => session.Publish(State("b.png"), second));

        Assert.Equal(first, refused.Presenter);
        Assert.Equal("a.png", session.Current.PhotoName);
        Assert.Equal("The host", session.Current.Presenter);
        Assert.Equal(first.Id, session.Seat!.Id);
    }

    [Fact]
    public void TakingOverMovesThePresentationAndOnlyTheNewPresenterEndsIt()
    {
        PresenterSession session = NewSession();
        PresenterSeat alice = PresenterSeat.NewTab(StudioCaller.Host), bob = PresenterSeat.NewTab(StudioCaller.Host);
        session.Publish(State("a.png"), alice);

        session.TakeOver(State("b.png"), bob, StudioCaller.Host);
        session.Release(alice); // Alice's tab closing no longer ends anything

        Assert.True(session.IsPresenting);
        Assert.Equal("b.png", session.Current.PhotoName);
        session.Release(bob);
        Assert.False(session.IsPresenting);
        Assert.False(session.Current.Presenting);
    }

    [Fact]
    public void AVisitorCannotTakeOverFromSomeoneElse()
    {
        PresenterSession session = NewSession();
        session.Publish(State("a.png"), PresenterSeat.NewTab(new StudioCaller("s-alice", false)));
        var bob = new StudioCaller("s-bob", false);

        Assert.Throws<PresenterBusyException>(() => session.TakeOver(State("b.png"), PresenterSeat.NewTab(bob), bob));
        Assert.Equal("a.png", session.Current.PhotoName);
    }
}
