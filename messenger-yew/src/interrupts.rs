//! [`use_interrupts`]: receiving interrupts (clicks and other events outside the turns) for the
//! component's life.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::StreamExt;
use messenger::{Error, InterruptRequest};
use serde::de::DeserializeOwned;
use yew::prelude::*;
use yew::UseStateSetter;

use crate::tasks::Tasks;

/// Opens interrupt channels; see [`use_interrupts`].
#[derive(Clone)]
pub struct Interrupts {
    /// How many channels this hook opened are still open (as of this render).
    pub open: usize,
    opener: Rc<Opener>,
}

/// Makes typed channels without making [`Interrupts`] generic (so it is usable in props).
struct Opener {
    multi_use: Box<dyn Fn() -> InterruptRequest>,
    one_time: Box<dyn Fn() -> InterruptRequest>,
}

impl Interrupts {
    /// A multi-use channel: send the request along with a message
    /// ([`crate::ListenHandle::send_with_interrupt`]) or a reply
    /// ([`messenger::Reply::with_interrupt`]); every interrupt the peer emits on it reaches the
    /// hook's callback until the session ends or the component unmounts.
    pub fn multi_use(&self) -> InterruptRequest {
        (self.opener.multi_use)()
    }

    /// A one-time channel: its one interrupt (or why it never came) reaches the hook's callback.
    pub fn one_time(&self) -> InterruptRequest {
        (self.opener.one_time)()
    }
}

impl PartialEq for Interrupts {
    fn eq(&self, other: &Self) -> bool {
        self.open == other.open && Rc::ptr_eq(&self.opener, &other.opener)
    }
}

impl fmt::Debug for Interrupts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interrupts")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

/// Receives interrupts of type `I` on the channels the component opens through the returned
/// [`Interrupts`]; each one goes to `on_interrupt` (the latest one given).
///
/// `on_interrupt` gets `Ok` with each interrupt, or `Err` once when a channel fails (a flood past
/// the [`messenger::Limits`], an interrupt that does not decode, a one-time channel whose session
/// ended first); a multi-use channel whose session ends closes quietly. [`Interrupts::open`] counts
/// the open channels. Unmounting closes every channel (dropping its receiving end closes its port)
/// and ends the tasks that follow them.
///
/// The payload type is chosen by each side on its own: the peer's `InterruptSender<I>` must
/// serialise what this side's `I` decodes, or the interrupt fails with [`Error::DecodeFailed`].
#[hook]
pub fn use_interrupts<I>(on_interrupt: Callback<Result<I, Error>>) -> Interrupts
where
    I: DeserializeOwned + 'static,
{
    let latest = use_mut_ref(|| on_interrupt.clone());
    *latest.borrow_mut() = on_interrupt;
    let open = use_state_eq(|| 0_usize);
    let tasks: Rc<Tasks> = use_memo((), |_| Tasks::default());
    {
        let tasks = Rc::clone(&tasks);
        use_effect_with((), move |_| move || tasks.abort_all());
    }
    let opener = use_memo((), |_| {
        let counter = Rc::new(OpenCount {
            count: RefCell::new(0),
            set: open.setter(),
        });
        let multi_use = {
            let (tasks, latest, counter) = (Rc::clone(&tasks), latest.clone(), Rc::clone(&counter));
            move || {
                let (request, mut stream) = InterruptRequest::multi_use::<I>();
                let (latest, counter) = (latest.clone(), Rc::clone(&counter));
                counter.add(1);
                tasks.spawn(async move {
                    while let Some(item) = stream.next().await {
                        let failed = item.is_err();
                        let on_interrupt = latest.borrow().clone();
                        on_interrupt.emit(item);
                        if failed {
                            break;
                        }
                    }
                    counter.add(-1);
                });
                request
            }
        };
        let one_time = move || {
            let (request, interrupt) = InterruptRequest::one_time::<I>();
            let (latest, counter) = (latest.clone(), Rc::clone(&counter));
            counter.add(1);
            tasks.spawn(async move {
                let item = interrupt.await;
                let on_interrupt = latest.borrow().clone();
                on_interrupt.emit(item);
                counter.add(-1);
            });
            request
        };
        Opener {
            multi_use: Box::new(multi_use),
            one_time: Box::new(one_time),
        }
    });
    Interrupts { open: *open, opener }
}

/// The number of open channels, mirrored into the hook's state.
struct OpenCount {
    count: RefCell<usize>,
    set: UseStateSetter<usize>,
}

impl OpenCount {
    fn add(&self, change: isize) {
        let count = self.count.borrow().saturating_add_signed(change);
        *self.count.borrow_mut() = count;
        self.set.set(count);
    }
}
