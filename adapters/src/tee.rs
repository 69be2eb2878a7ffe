//! [`Tee`]: one stream into several sinks.

use std::any::Any;
use std::fmt;
use std::io;

use procpump::{Flow, Sink, StreamContext, StreamEnd};

/// A member sink, kept so that it can be taken back by type.
trait Member: Send {
    fn sink(&mut self) -> &mut dyn Sink;
    fn error(&self) -> Option<&io::Error>;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    fn is(&self, type_id: std::any::TypeId) -> bool;
}

impl<S: Sink + Send + 'static> Member for S {
    fn sink(&mut self) -> &mut dyn Sink {
        self
    }

    fn error(&self) -> Option<&io::Error> {
        Sink::error(self)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn is(&self, type_id: std::any::TypeId) -> bool {
        type_id == std::any::TypeId::of::<S>()
    }
}

/// Where one member stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Paused,
    Closed,
    /// It returned [`Flow::Discard`]: it is not called again, not even to
    /// end.
    Discarding,
}

/// A sink that hands every chunk to several sinks.
///
/// Their flows are combined: the stream pauses while any member is paused
/// (and is resumed, through any member's [`Resumer`](procpump::Resumer),
/// only when each paused member agrees in its [`Sink::resume`]); a member
/// that closes gets no more chunks (and its [`Sink::end`] at once, with
/// [`StreamEnd::Closed`]); a member that discards is not called again;
/// the stream closes when every member has closed, and is discarded when
/// every member has closed or discards and one discards. Members never
/// splice: each gets the bytes as chunks.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::{Head, Tail, Tee};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("100");
/// reactor.spawn(Job::new(seq).stdout(Tee::new().with(Head::new(2)).with(Tail::new(4))));
/// let mut report = reactor.run()?.remove(0);
/// let mut tee: Tee = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(tee.take::<Head>(0).unwrap().bytes(), b"1\n");
/// assert_eq!(tee.take::<Tail>(1).unwrap().bytes(), b"100\n");
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct Tee {
    members: Vec<(Option<Box<dyn Member>>, State)>,
}

impl Tee {
    /// A tee with no member yet (it closes its stream at the first chunk
    /// if none is added).
    pub fn new() -> Tee {
        Tee::default()
    }

    /// Adds a member; members are numbered from 0 in the order added.
    pub fn with(mut self, sink: impl Sink + Send + 'static) -> Tee {
        self.push(sink);
        self
    }

    /// Adds a member.
    pub fn push(&mut self, sink: impl Sink + Send + 'static) {
        self.members.push((Some(Box::new(sink)), State::Open));
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there is no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Takes back member `index` if it is an `S` (after the run, to read
    /// its result). `None` if there is no such member, it was taken, or it
    /// is of another type.
    pub fn take<S: Sink + 'static>(&mut self, index: usize) -> Option<S> {
        let slot = &mut self.members.get_mut(index)?.0;
        if !slot.as_ref()?.is(std::any::TypeId::of::<S>()) {
            return None;
        }
        slot.take()?
            .into_any()
            .downcast::<S>()
            .ok()
            .map(|sink| *sink)
    }

    /// The flow of the whole: while any member reads, the most urgent of
    /// the reading members' flows (pause when any paused); else close
    /// when all closed, discard when one discards.
    fn combined(&self) -> Flow {
        let states = || self.members.iter().map(|(_, state)| *state);
        let reading = states().filter_map(|state| match state {
            State::Open => Some(Flow::Continue),
            State::Paused => Some(Flow::Pause),
            State::Closed | State::Discarding => None,
        });
        match reading.reduce(Flow::most_urgent) {
            Some(flow) => flow,
            None if states().all(|state| state == State::Closed) => Flow::Close,
            None => Flow::Discard,
        }
    }
}

/// Records a member's flow; a member that closes is ended at once.
fn settle(member: &mut dyn Member, state: &mut State, flow: Flow) {
    *state = match flow {
        Flow::Continue => State::Open,
        Flow::Pause => State::Paused,
        Flow::Close => {
            member.sink().end(&StreamEnd::Closed);
            State::Closed
        }
        Flow::Discard => State::Discarding,
    };
}

impl Sink for Tee {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        for (member, state) in &mut self.members {
            if let (Some(member), State::Open) = (member, *state) {
                let flow = member.sink().chunk(chunk);
                settle(member.as_mut(), state, flow);
            }
        }
        self.combined()
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        for member in self.members.iter_mut().filter_map(|(m, _)| m.as_mut()) {
            member.sink().start(context);
        }
    }

    fn resume(&mut self) -> Flow {
        for (member, state) in &mut self.members {
            if let (Some(member), State::Paused) = (member, *state) {
                let flow = member.sink().resume();
                settle(member.as_mut(), state, flow);
            }
        }
        self.combined()
    }

    fn end(&mut self, end: &StreamEnd) {
        for (member, state) in &mut self.members {
            if let (Some(member), State::Open | State::Paused) = (member, *state) {
                member.sink().end(end);
                *state = State::Open;
            }
        }
    }

    fn flush(&mut self) -> Flow {
        let mut flow = Flow::Continue;
        for (member, state) in &mut self.members {
            if let (Some(member), State::Open) = (member, *state) {
                let flushed = member.sink().flush();
                if flushed == Flow::Pause {
                    flow = flow.most_urgent(flushed);
                } else {
                    *state = State::Closed;
                }
            }
        }
        flow
    }

    /// The first member's failure, if one failed.
    fn error(&self) -> Option<&io::Error> {
        self.members
            .iter()
            .filter_map(|(member, _)| member.as_ref())
            .find_map(|member| member.error())
    }
}

impl fmt::Debug for Tee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let states: Vec<State> = self.members.iter().map(|(_, state)| *state).collect();
        f.debug_struct("Tee").field("members", &states).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member that returns the flows it is given, in turn.
    struct Scripted(Vec<Flow>, usize);

    impl Sink for Scripted {
        fn chunk(&mut self, _chunk: &[u8]) -> Flow {
            self.1 += 1;
            self.0.remove(0)
        }
        fn resume(&mut self) -> Flow {
            self.0.remove(0)
        }
    }

    #[test]
    fn pauses_while_any_pauses_and_closes_when_all_close() {
        let mut tee = Tee::new()
            .with(Scripted(
                vec![
                    Flow::Pause,
                    Flow::Pause,
                    Flow::Continue,
                    Flow::Continue,
                    Flow::Close,
                ],
                0,
            ))
            .with(Scripted(vec![Flow::Continue, Flow::Close], 0));
        assert_eq!(tee.chunk(b"1"), Flow::Pause);
        assert_eq!(tee.resume(), Flow::Pause);
        assert_eq!(tee.resume(), Flow::Continue);
        // The second closes; the first still reads.
        assert_eq!(tee.chunk(b"2"), Flow::Continue);
        assert_eq!(tee.chunk(b"3"), Flow::Close);
        assert_eq!(tee.take::<Scripted>(0).unwrap().1, 3);
        assert_eq!(tee.take::<Scripted>(1).unwrap().1, 2);
        assert!(tee.take::<Scripted>(1).is_none());
    }

    #[test]
    fn discards_when_no_member_reads_on() {
        let mut tee = Tee::new()
            .with(Scripted(vec![Flow::Discard], 0))
            .with(Scripted(vec![Flow::Continue, Flow::Close], 0));
        assert_eq!(tee.chunk(b"1"), Flow::Continue);
        assert_eq!(tee.chunk(b"2"), Flow::Discard);
        assert_eq!(tee.take::<Scripted>(0).unwrap().1, 1);
    }

    #[test]
    fn an_empty_tee_closes() {
        assert_eq!(Tee::new().chunk(b"x"), Flow::Close);
    }
}
