/*
 * The vfio_ap lock protocol (docs/locking.md: the ranks of L1 and the
 * driver's locks), for spin. One mdev, one guest with two vCPUs, and a
 * thread for each path that takes driver locks:
 *
 *   Store    assign/unassign and ap_config (with and without the guest),
 *            through an open file of the mount (its of->mutex held), and
 *            the durable state's commit that follows it
 *   Qemu     open/attach, its main loop's request handler, close/detach
 *   Vcpu     SIE entry reading the APCB, and the PQAP(AQIC) intercept
 *   Bus      queue probe and remove, host configuration change
 *   Mask     apmask/aqmask stores: in_use, then re-binding
 *   Remove   mdev removal with the request loop, through the `remove`
 *            file (its own of->mutex held throughout), and the mdev
 *            observers it tells (docs/locking.md M1): durable state notes
 *            the UUID, the sysfs layer removes the directory and drains
 *            the callbacks running in it (the Store's)
 *   Online   zcrypt's `online` store: its of->mutex, then
 *            ap_scan_bus_mutex to tell the bus's observers (U1)
 *   Subscriber  a uevent subscriber (`vap monitor`) that reads its queue
 *            under the hub's lock, or stops reading for good (SIGSTOP)
 *
 * The uevent sends (U1: the hub's leaf lock, under ap_scan_bus_mutex in
 * Bus and Mask, with no driver lock in Remove's observers, under an open
 * file's lock in Online) are in scenario 4 only, which runs those paths.
 * The mount's invalidations (docs/locking.md, the mount's node table)
 * are in scenario 5 only: the same changers tell the kernel which cached
 * names stopped holding, and the kernel's fuse_reverse_inval_entry()
 * waits for the directory's inode lock, which the kernel holds while a
 * LOOKUP in that directory is being answered:
 *   Lookup   a stat(2) in the directory: the kernel holds the inode lock
 *            while vapd's handler takes the tree's and the node table's
 *            leaf locks (LookupChild, Remember, the second look)
 *
 * Checked: no deadlock and no invalid end state (every thread finishes;
 * vCPUs may stop at `end_idle`), the lock ranks (an acquire asserts that
 * nothing of equal or higher rank is held: the run-time lockdep of
 * docs/locking.md L1), and the publication protocol (a vCPU in SIE
 * never reads a half-written APCB). The vCPUs run a bounded number of
 * times, so a deadlock of the other threads is an invalid end state.
 *
 * Mutations (docs/model/check.sh runs each and expects spin to fail):
 *   -DREVERSE_PROBE  the queue probe takes mdevs_lock before guests_lock
 *   -DNO_LOCKDEP     no rank asserts (with REVERSE_PROBE: a real deadlock)
 *   -DNO_BLOCK       publication writes without blocking the vCPUs
 *   -DCOMMIT_IN_STORE the commit runs inside the store's driver locks
 *   -DOBSERVE_LOCKED  the removal tells its observers (and so drains the
 *                     mdev's directory) with the driver's locks held
 *   -DHUB_WAITS      a uevent send waits for room in a subscriber's queue
 *                     instead of dropping the event
 *   -DLOOKUP_WAITS   a LOOKUP's handler waits for ap_scan_bus_mutex (as
 *                     one that took a driver-side lock would)
 *   -DGUEST_UNDER_BQL QEMU hands the AP event to the guest kernel with
 *                     the BQL still held
 *   -DOVERLAY_UNDER_MDEVS the resume write overlays the blob without
 *                     letting go of the mdevs_lock its checks took
 *
 * Scenario 7 adds the guest kernel (docs/locking.md G1):
 *   GuestEvents  QEMU's config-change handler (BQL, SEI), then, the BQL
 *            released, the event to the guest kernel: its attachment
 *            lock, its scan, a queue probe whose machine resets the queue
 *            and issues AQIC, intercepted to vfio_ap's hook
 *   GuestPoller  the guest bus's poll timer stepping a queue machine
 *   GuestStop    the guest kernel detached (RunningGuest::Shutdown)
 */

/* Ranks, outermost first (lock_rank.h). */
#define R_OF     0    /* an open file's of->mutex (kOpenFile) */
#define R_BQL    1    /* the BQL; also the VM's guest-kernel attachment */
#define R_GSCAN  2    /* a guest kernel's ap_scan_bus_mutex */
#define R_GQUEUE 3    /* a guest kernel's queue state machines */
#define R_GPOLL  4    /* a guest kernel's poll timer */
#define R_SCAN   5
#define R_ATTR   6
#define R_HOOK   7
#define R_GUESTS 8
#define R_KVM    9
#define R_MDEVS  10
#define R_QUEUE  11   /* the AP bus's queue state machines (aq->lock) */
#define R_POLL   12   /* the AP bus's poll timer (ap_poll_timer_lock) */
#define R_LEAF   13   /* the durable state's state_dirty and state_commit,
                         the uevent hub, the firmware, the device records,
                         the manual clock, QEMU's channel subsystem */

#define NVCPU 2

byte bql, scan_mu, attr_mu, guests_mu, kvm_mu, mdevs_mu; /* 0: free, else holder's _pid + 1 */
byte of_store, of_remove;   /* two open files' of->mutex */
byte dirty_mu, commit_mu;   /* leaves: never two at once */
byte hub_mu;                /* the uevent hub (leaf) */
byte of_online;             /* a third open file's of->mutex */
byte tree_mu, inodes_mu;    /* the tree's and the mount's node table (leaves) */
byte dir_i;                 /* the kernel's inode lock of a directory */
byte sm_mu, poll_mu;        /* the bus's queue machines and poll timer */
byte fw_mu, devrec_mu, clock_mu; /* firmware, device records, clock (leaves) */
byte of_reset;              /* a queue's `reset` open file */
byte os_mu;                 /* the VM's guest-kernel attachment (G1) */
byte gscan_mu, gsm_mu, gpoll_mu; /* the guest kernel's AP bus */
byte css_mu;                /* QEMU's channel subsystem (leaf) */
byte queued;                /* events waiting for the subscriber */
byte mig_files;             /* open migration data files (D7) */
byte mig_gen;               /* the open's generation: its migration data */
bool mig_snapshot, writing;     /* the save's snapshot; a resume write in progress */
#define QUEUE_CAP 1
byte hook_readers;   /* pqap_hook_rwsem: writer-preferring */
bool hook_writer;
byte hook_wwait;

bool hook_set;       /* kvm->arch.crypto.pqap_hook (under the rwsem) */
bool attached;       /* matrix_mdev->kvm (under guests, kvm, mdevs) */
bool dev_open;       /* the VFIO device is open */
bool req_pending;    /* the request eventfd was signalled */
bool removed;
bool store_in_cb;    /* the Store's callback runs in the mdev's directory */

/* The CRYCB's APCB, written in two halves; the publication protocol. */
byte apcb_lo, apcb_hi;
byte in_sie;         /* vCPUs inside SIE */
bool block_req;      /* kvm_s390_vcpu_block_all() in effect */
byte version;

#ifdef NO_LOCKDEP
#define RANK_OK(r) true
#else
#define RANK_OK(r) (held < (1 << (r)))
#endif

/* An acquire is one step (check the rank, wait, take); so is a release:
 * neither has an intermediate state another thread could act on. */
inline acquire(m, r) {
  atomic { assert(RANK_OK(r)); m == 0 -> m = _pid + 1; held = held | (1 << (r)) }
}

inline release(m, r) {
  atomic { assert(m == _pid + 1); m = 0; held = held & ~(1 << (r)) }
}

inline down_read() {
  atomic {
    assert(RANK_OK(R_HOOK));
    !hook_writer && hook_wwait == 0 -> hook_readers++; held = held | (1 << R_HOOK)
  }
}

inline up_read() {
  atomic { hook_readers--; held = held & ~(1 << R_HOOK) }
}

/* Writer-preferring: a waiting writer keeps new readers out. */
inline down_write() {
  atomic { assert(RANK_OK(R_HOOK)); hook_wwait++ };
  atomic {
    !hook_writer && hook_readers == 0 ->
      hook_writer = true; hook_wwait--; held = held | (1 << R_HOOK)
  }
}

inline up_write() {
  atomic { hook_writer = false; held = held & ~(1 << R_HOOK) }
}

/* guests_lock -> kvm->lock (if attached) -> mdevs_lock (D1). */
inline update_locks() {
  acquire(guests_mu, R_GUESTS);
  if
  :: attached -> acquire(kvm_mu, R_KVM); took_kvm = true
  :: else -> took_kvm = false
  fi;
  acquire(mdevs_mu, R_MDEVS)
}

/* The driver's change observer notes the mdev under mdevs_lock (P2). */
inline note_change() {
  acquire(dirty_mu, R_LEAF);
  release(dirty_mu, R_LEAF)
}

/* DurableState::Commit after a store (P1, P2): the group-commit counters,
 * the noted mdevs, the bus-wide capture, then each noted mdev. */
inline commit() {
  acquire(commit_mu, R_LEAF);
  release(commit_mu, R_LEAF);
  acquire(dirty_mu, R_LEAF);
  release(dirty_mu, R_LEAF);
  acquire(scan_mu, R_SCAN);
  acquire(attr_mu, R_ATTR);
  release(attr_mu, R_ATTR);
  release(scan_mu, R_SCAN);
  acquire(mdevs_mu, R_MDEVS);
  release(mdevs_mu, R_MDEVS)
}

inline update_unlock() {
  release(mdevs_mu, R_MDEVS);
  if
  :: took_kvm -> release(kvm_mu, R_KVM)
  :: else -> skip
  fi;
  release(guests_mu, R_GUESTS)
}

/* Publish a new APCB while every vCPU is out of SIE (kvm->lock held). */
inline publish() {
  assert(kvm_mu == _pid + 1);
  assert(!block_req);
#ifndef NO_BLOCK
  block_req = true;
  in_sie == 0;
#endif
  version = 1 - version;
  apcb_lo = version;
  apcb_hi = version;
  block_req = false
}

/* UeventHub::Send (U1): a full queue drops the event for that subscriber
 * and counts it; a send never waits. */
inline send_uevent() {
  acquire(hub_mu, R_LEAF);
#ifdef HUB_WAITS
  queued < QUEUE_CAP;
#endif
  if
  :: queued < QUEUE_CAP -> queued++
  :: else -> skip
  fi;
  release(hub_mu, R_LEAF)
}

/* Scenarios 1-3 leave the sends out (no step at all), to keep their
 * searches as they were. */
#if SCENARIO == 4
#define SEND_UEVENT send_uevent();
#else
#define SEND_UEVENT
#endif

/* The kernel's lock: not one of vap's, so no rank (only spin's deadlock
 * search watches it). */
inline kernel_lock(m) {
  atomic { m == 0 -> m = _pid + 1 }
}

inline kernel_unlock(m) {
  atomic { assert(m == _pid + 1); m = 0 }
}

/* OpsContext::OnEntriesChanged: the names to invalidate are copied under
 * the node table's lock, then the kernel is told, with whatever the
 * changer holds but no leaf lock. */
inline invalidate() {
  acquire(inodes_mu, R_LEAF);
  release(inodes_mu, R_LEAF);
  kernel_lock(dir_i);              /* fuse_lowlevel_notify_inval_entry */
  kernel_unlock(dir_i)
}

#if SCENARIO == 5
#define INVALIDATE invalidate();
#else
#define INVALIDATE
#endif

/* Hot plug when the guest is attached: what the driver does in update. */
inline plug() {
  if
  :: took_kvm -> publish()
  :: else -> skip
  fi
}

proctype Store() {
  short held = 0;
  bool took_kvm;
  byte n = 0;
  do
  :: n < 1 ->
     acquire(of_store, R_OF);       /* write(2) to the open file */
     store_in_cb = true;
     acquire(attr_mu, R_ATTR);      /* assign_*, unassign_*, ap_config */
     update_locks();
     note_change();
     plug();
#ifdef COMMIT_IN_STORE
     commit();
#endif
     update_unlock();
     release(attr_mu, R_ATTR);
     store_in_cb = false;           /* the tree's drain may go on */
#ifndef COMMIT_IN_STORE
     commit();
#endif
     release(of_store, R_OF);
     n++
  :: else -> break
  od
}

inline close_device() {
  down_write();
  hook_set = false;
  up_write();
  update_locks();
  attached = false;
  plug();                           /* the guest's masks are cleared */
  update_unlock();
  dev_open = false
}

proctype Qemu() {
  short held = 0;
  bool took_kvm;
  /* realize: open and attach */
  acquire(bql, R_BQL);
  if
  :: removed -> release(bql, R_BQL); goto done
  :: else -> dev_open = true
  fi;
  down_write();
  hook_set = true;
  up_write();
  acquire(guests_mu, R_GUESTS);     /* get_update_locks_for_kvm */
  acquire(kvm_mu, R_KVM);
  acquire(mdevs_mu, R_MDEVS);
  attached = true;
  mig_gen++;                        /* the open's migration data */
  publish();                        /* the masks reach the guest */
  release(mdevs_mu, R_MDEVS);
  release(kvm_mu, R_KVM);
  release(guests_mu, R_GUESTS);
  release(bql, R_BQL);
  /* the main loop: the request handler unplugs, or the VM is shut down */
  if
  :: req_pending -> skip
  :: true -> skip
  fi;
  acquire(bql, R_BQL);
  close_device();
  release(bql, R_BQL);
done:
  skip
}

/* A vCPU runs a few times and then idles for good, so that a state in
 * which every other thread waits is seen as the deadlock it is. */
proctype Vcpu() {
  short held = 0;
  byte lo, hi;
  byte n = 0;
end_idle:
  do
  :: n == 2 -> break
  :: n < 2 -> n++;
     atomic { !block_req -> in_sie++ };   /* SIE entry */
     lo = apcb_lo;
     hi = apcb_hi;
     atomic {
       assert(lo == hi);                  /* never a half-written APCB */
       lo = 0; hi = 0; in_sie--
     }
  :: n < 2 -> n++;
     down_read();                         /* PQAP(AQIC) intercepted */
     if
     :: hook_set ->
        acquire(mdevs_mu, R_MDEVS);
        release(mdevs_mu, R_MDEVS)
     :: else -> skip
     fi;
     up_read()
  od
}

inline probe_or_remove_queue() {
#ifdef REVERSE_PROBE
  acquire(mdevs_mu, R_MDEVS);
  acquire(guests_mu, R_GUESTS);
  release(guests_mu, R_GUESTS);
  release(mdevs_mu, R_MDEVS)
#else
  update_locks();
  plug();
  update_unlock()
#endif
}

proctype Bus() {
  short held = 0;
  bool took_kvm;
  acquire(scan_mu, R_SCAN);        /* a queue probe or remove */
  probe_or_remove_queue();
  SEND_UEVENT                      /* bind / unbind, the bus observer */
  INVALIDATE                       /* the queue's `driver` link */
  release(scan_mu, R_SCAN);
  acquire(scan_mu, R_SCAN);        /* host configuration change */
  acquire(guests_mu, R_GUESTS);    /* on_config_changed */
  acquire(mdevs_mu, R_MDEVS);
  release(mdevs_mu, R_MDEVS);
  release(guests_mu, R_GUESTS);
  update_locks();                  /* on_scan_complete */
  plug();
  update_unlock();
  release(scan_mu, R_SCAN)
}

proctype Mask() {
  short held = 0;
  bool took_kvm;
  acquire(attr_mu, R_ATTR);        /* apmask store: in_use */
  acquire(guests_mu, R_GUESTS);
  acquire(mdevs_mu, R_MDEVS);
  release(mdevs_mu, R_MDEVS);
  release(guests_mu, R_GUESTS);
  release(attr_mu, R_ATTR);
  acquire(scan_mu, R_SCAN);        /* re-binding: remove and probe */
  probe_or_remove_queue();
  SEND_UEVENT                      /* unbind, bind, then APMASK= */
  INVALIDATE                       /* the moved queue's `driver` link */
  release(scan_mu, R_SCAN)
}

proctype Online() {
  short held = 0;
  acquire(of_online, R_OF);        /* write(2) to a card's `online` */
  acquire(scan_mu, R_SCAN);        /* to tell the bus's observers */
#if SCENARIO == 5
  invalidate();                    /* the card's computed entries */
#else
  send_uevent();                   /* ONLINE= */
#endif
  release(scan_mu, R_SCAN);
  release(of_online, R_OF)
}

proctype Subscriber() {
  short held = 0;
  do
  :: acquire(hub_mu, R_LEAF);
     if
     :: queued > 0 -> queued--
     :: else -> skip
     fi;
     release(hub_mu, R_LEAF)
  :: break                         /* stops reading for good */
  od
}

proctype Remove() {
  short held = 0;
  bool took_kvm;
  acquire(of_remove, R_OF);        /* write(2) to `remove` */
  /* vfio_unregister_group_dev: ask until the device is closed */
  do
  :: update_locks();
     if
     :: attached -> req_pending = true
     :: else -> skip
     fi;
     update_unlock();
     if
     :: !dev_open -> break
     :: else -> (!dev_open || !attached)   /* waits, no lock held */
     fi
  od;
  acquire(bql, R_BQL);             /* no open after this point */
  removed = true;
  release(bql, R_BQL);
  dev_open == false;
  mig_files == 0;                  /* data files pin the registration (D7) */
  acquire(guests_mu, R_GUESTS);    /* final resets, unlink; UUID retiring */
  acquire(mdevs_mu, R_MDEVS);
#ifdef OBSERVE_LOCKED
  note_change();
  !store_in_cb;                    /* Tree::Remove drains the directory */
#endif
  release(mdevs_mu, R_MDEVS);
  release(guests_mu, R_GUESTS);
#ifndef OBSERVE_LOCKED
  /* The observers, no driver lock held (M1). */
  note_change();
  !store_in_cb;                    /* Tree::Remove drains the directory */
  SEND_UEVENT                      /* unbind, remove */
  INVALIDATE                       /* the removed directory's name */
#endif
  acquire(mdevs_mu, R_MDEVS);      /* the UUID is free again */
  release(mdevs_mu, R_MDEVS);
  release(of_remove, R_OF)
}

proctype Lookup() {
  short held = 0;
  kernel_lock(dir_i);              /* lookup_slow(): held until the reply */
#ifdef LOOKUP_WAITS
  acquire(scan_mu, R_SCAN);
  release(scan_mu, R_SCAN);
#endif
  acquire(tree_mu, R_LEAF);        /* LookupChild, Stat */
  release(tree_mu, R_LEAF);
  acquire(inodes_mu, R_LEAF);      /* Remember */
  release(inodes_mu, R_LEAF);
  acquire(tree_mu, R_LEAF);        /* the second look */
  release(tree_mu, R_LEAF);
  kernel_unlock(dir_i)             /* the reply is in: the kernel lets go */
}

/* Scenario 6: the AP bus's queue state machines. A mask store hands a
 * queue from cex4queue to vfio_ap: ap_queue_prepare_remove() and
 * ap_queue_remove() (ZAPQ) around the host driver's remove, then
 * vfio_ap's probe with its driver locks, then the queue joins the polled
 * ones. The bus never holds sm_mu across a driver's probe or remove. */
inline sm_firmware_step() {
  acquire(devrec_mu, R_LEAF);      /* load the machine */
  release(devrec_mu, R_LEAF);
  acquire(fw_mu, R_LEAF);          /* TAPQ, RAPQ, ZAPQ or AQIC */
  release(fw_mu, R_LEAF);
  acquire(devrec_mu, R_LEAF);      /* store it */
  release(devrec_mu, R_LEAF)
}

inline arm_poll() {
  acquire(poll_mu, R_POLL);
  release(poll_mu, R_POLL)
}

proctype SmBus() {
  short held = 0;
  bool took_kvm;
  acquire(scan_mu, R_SCAN);        /* the re-binding after the store */
  acquire(sm_mu, R_QUEUE);         /* SHUTDOWN */
  acquire(devrec_mu, R_LEAF);
  release(devrec_mu, R_LEAF);
  release(sm_mu, R_QUEUE);
  acquire(sm_mu, R_QUEUE);         /* ZAPQ, UNINITIATED */
  sm_firmware_step();
  release(sm_mu, R_QUEUE);
#ifdef SM_LOCKED_PROBE
  acquire(sm_mu, R_QUEUE);
#endif
  update_locks();                  /* vfio_ap's probe */
  plug();
  update_unlock();
#ifdef SM_LOCKED_PROBE
  release(sm_mu, R_QUEUE);
#endif
  acquire(sm_mu, R_QUEUE);         /* QueueBound() */
  acquire(devrec_mu, R_LEAF);
  release(devrec_mu, R_LEAF);
  arm_poll();
  release(sm_mu, R_QUEUE);
  release(scan_mu, R_SCAN)
}

proctype Poller() {
  short held = 0;
  byte n = 0;
  do
  :: n < 2 ->
     acquire(poll_mu, R_POLL);     /* wait for the deadline */
     acquire(clock_mu, R_LEAF);    /* a manual clock's WaitUntil */
     release(clock_mu, R_LEAF);
     release(poll_mu, R_POLL);
     acquire(sm_mu, R_QUEUE);      /* the tasklet's pass */
     sm_firmware_step();
     arm_poll();
     release(sm_mu, R_QUEUE);
     n++
  :: else -> break
  od
}

/* The guest's AQIC, intercepted: the hook's read side, then vfio_ap. */
inline guest_aqic() {
  down_read();
  if
  :: hook_set ->
     acquire(mdevs_mu, R_MDEVS);
     acquire(fw_mu, R_LEAF);
     release(fw_mu, R_LEAF);
     release(mdevs_mu, R_MDEVS)
  :: else -> skip
  fi;
  up_read()
}

/* A guest queue machine's step: an interpreted RAPQ or TAPQ (the
 * firmware), then AQIC, then its poll armed. */
inline guest_queue_step() {
  acquire(gsm_mu, R_GQUEUE);
  acquire(fw_mu, R_LEAF);
  release(fw_mu, R_LEAF);
  guest_aqic();
  acquire(gpoll_mu, R_GPOLL);
  release(gpoll_mu, R_GPOLL);
  release(gsm_mu, R_GQUEUE)
}

/* ap_bus_force_rescan() in the guest kernel QEMU's event reached. */
inline guest_rescan() {
  acquire(os_mu, R_BQL);
  acquire(gscan_mu, R_GSCAN);
  acquire(fw_mu, R_LEAF);          /* TAPQ, interpreted */
  release(fw_mu, R_LEAF);
  guest_queue_step();              /* a new queue's probe */
  release(gscan_mu, R_GSCAN);
  release(os_mu, R_BQL)
}

proctype GuestEvents() {
  short held = 0;
  acquire(bql, R_BQL);             /* the config-change handler */
  acquire(css_mu, R_LEAF);         /* the event, the CRW, SEI */
  release(css_mu, R_LEAF);
#ifdef GUEST_UNDER_BQL
  guest_rescan();
  release(bql, R_BQL)
#else
  release(bql, R_BQL);
  guest_rescan()
#endif
}

proctype GuestPoller() {
  short held = 0;
  acquire(gpoll_mu, R_GPOLL);      /* wait for the deadline */
  acquire(clock_mu, R_LEAF);
  release(clock_mu, R_LEAF);
  release(gpoll_mu, R_GPOLL);
  guest_queue_step()               /* the tasklet's pass */
}

proctype GuestStop() {
  short held = 0;
  acquire(os_mu, R_BQL);           /* waits for an event being handled */
  release(os_mu, R_BQL)
}

proctype ResetStore() {
  short held = 0;
  acquire(of_reset, R_OF);         /* write(2) to a queue's `reset` */
  acquire(sm_mu, R_QUEUE);         /* RESET_START, one step */
  sm_firmware_step();
  arm_poll();
  release(sm_mu, R_QUEUE);
  release(of_reset, R_OF)
}

/* Scenarios 8 and 9: live migration (docs/locking.md D7). A data file is
 * made by a set-state arc under mdevs_lock and only while the device is
 * open (its migration data exists); it pins the mdev until closed. */
inline mig_open_file(ok) {
  acquire(mdevs_mu, R_MDEVS);
  if
  :: attached -> mig_files++; gen = mig_gen; ok = true
  :: else -> ok = false
  fi;
  release(mdevs_mu, R_MDEVS)
}

inline mig_close_file() {
  acquire(mdevs_mu, R_MDEVS);      /* MigrationFile's destructor */
  mig_files--;
  release(mdevs_mu, R_MDEVS)
}

/* STOP_COPY and the first read: the shadow under mdevs_lock, the TAPQs
 * without it, the snapshot stored if the same open is still there. */
proctype MigSave() {
  short held = 0;
  byte gen;
  bool ok;
  mig_open_file(ok);
  if
  :: !ok -> goto done
  :: else -> skip
  fi;
  acquire(mdevs_mu, R_MDEVS);
  ok = attached && gen == mig_gen;
  release(mdevs_mu, R_MDEVS);
  if
  :: ok ->
     acquire(fw_mu, R_LEAF);       /* TAPQ of every shadow queue */
     release(fw_mu, R_LEAF);
     acquire(mdevs_mu, R_MDEVS);
     if
     :: attached && gen == mig_gen -> mig_snapshot = true
     :: else -> skip               /* closed meanwhile: ENODEV */
     fi;
     release(mdevs_mu, R_MDEVS)
  :: else -> skip
  fi;
  mig_close_file();
done:
  skip
}

/* RESUMING and the blob's last write: marked in progress under
 * mdevs_lock, validated with no driver lock, overlaid under ap_attr_mutex
 * and the update locks (the ap_config store's path), then unmarked. */
proctype MigResume() {
  short held = 0;
  bool took_kvm;
  byte gen;
  bool ok;
  mig_open_file(ok);
  if
  :: !ok -> goto done
  :: else -> skip
  fi;
  acquire(mdevs_mu, R_MDEVS);
  if
  :: !writing && attached && gen == mig_gen -> writing = true; ok = true
  :: else -> ok = false            /* EBUSY, ENODEV */
  fi;
#ifndef OVERLAY_UNDER_MDEVS
  release(mdevs_mu, R_MDEVS);
#endif
  if
  :: ok ->
#ifndef OVERLAY_UNDER_MDEVS
     acquire(mdevs_mu, R_MDEVS);   /* (a): the queue table */
     release(mdevs_mu, R_MDEVS);
#endif
     acquire(fw_mu, R_LEAF);       /* (b) QCI, (c) TAPQ */
     release(fw_mu, R_LEAF);
     acquire(attr_mu, R_ATTR);
     update_locks();
     if
     :: attached && gen == mig_gen -> plug()
     :: else -> skip               /* closed meanwhile: ENODEV */
     fi;
     update_unlock();
     release(attr_mu, R_ATTR);
     acquire(mdevs_mu, R_MDEVS);
     writing = false;
     release(mdevs_mu, R_MDEVS)
  :: else -> skip
  fi;
#ifdef OVERLAY_UNDER_MDEVS
  release(mdevs_mu, R_MDEVS);
#endif
  mig_close_file();
done:
  skip
}

/* Scenarios, each searched exhaustively (check.sh): 1, the guest's life
 * (hot plug, publication, PQAP, the request loop); 2, the bus paths with
 * an attached guest; 3, the bus paths with the mdev's removal; 4, the
 * uevent paths: the bus, a mask store, an online store and the removal
 * sending to a subscriber that may stop; 5, the mount's invalidations
 * from the same paths, with a LOOKUP in the directory they invalidate; 6,
 * the queue state machines with a hand-over to vfio_ap, the poller, a
 * `reset` store, QEMU and a vCPU; 7, the guest kernel's AP bus (its
 * event, scan, queue machines and AQIC) with a host store and QEMU; 8,
 * a migration's save read and resume write with an assign, QEMU's open
 * and close and the mdev's removal; 9, the same with a host change.
 * Without SCENARIO all threads
 * run together, which
 * check.sh searches with bitstate hashing (an approximation). */
init {
  atomic {
#if SCENARIO == 1
    run Store(); run Qemu(); run Vcpu(); run Vcpu(); run Remove()
#elif SCENARIO == 2
    run Bus(); run Mask(); run Store(); run Qemu(); run Vcpu()
#elif SCENARIO == 3
    run Bus(); run Mask(); run Remove(); run Qemu(); run Vcpu()
#elif SCENARIO == 4
    run Bus(); run Mask(); run Online(); run Remove(); run Subscriber()
#elif SCENARIO == 5
    run Bus(); run Mask(); run Online(); run Remove(); run Lookup()
#elif SCENARIO == 6
    run SmBus(); run Poller(); run ResetStore(); run Qemu(); run Vcpu()
#elif SCENARIO == 7
    run Store(); run Qemu(); run GuestEvents(); run GuestPoller();
    run GuestStop()
#elif SCENARIO == 8
    run Store(); run Qemu(); run MigSave(); run MigResume(); run Remove()
#elif SCENARIO == 9
    run Bus(); run Qemu(); run MigSave(); run MigResume()
#else
    run Store(); run Qemu(); run Vcpu(); run Vcpu(); run Bus(); run Mask();
    run Remove()
#endif
  }
}
