//! The lease table on a real PostgreSQL: a session has one holder however many nodes
//! claim it at once, a lease that is not renewed lapses and moves (counted), a node
//! learns from its renewal which sessions it lost, and a hand-back frees them at once.

use ai_admin_activities::db::leases::{self, Claim};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_tests::{AppOptions, spawn_app_with};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_session_has_one_holder_its_lease_lapses_and_moves_and_a_hand_back_frees_it() {
    // No gateway role: the app's own node would take the lapsed lease over itself.
    let app = spawn_app_with(AppOptions {
        roles: Some("api,worker".into()),
        ..AppOptions::default()
    })
    .await;
    let db = &app.db;
    let session = SessionId::for_salon(SalonId::new(4_242_001).unwrap());
    for node in ["node-a", "node-b"] {
        leases::register_node(db, node, &format!("wa-{node}"))
            .await
            .unwrap();
    }

    // Twenty claims at once from two nodes: one node gets it, the other is told who.
    let claims = futures::future::join_all((0..20).map(|n| {
        let node = if n % 2 == 0 { "node-a" } else { "node-b" };
        async move {
            let claim = leases::claim(db, session, node, &format!("wa-{node}"), LEASE)
                .await
                .unwrap();
            (node, claim)
        }
    }))
    .await;
    let holders: std::collections::BTreeSet<&str> = claims
        .iter()
        .filter(|(_, claim)| matches!(claim, Claim::Mine { .. }))
        .map(|(node, _)| *node)
        .collect();
    assert_eq!(holders.len(), 1, "{claims:?}");
    let holder = *holders.iter().next().unwrap();
    let other = if holder == "node-a" {
        "node-b"
    } else {
        "node-a"
    };
    for (node, claim) in &claims {
        if *node == other {
            assert!(
                matches!(claim, Claim::HeldBy(owner) if owner.node_id == holder && owner.task_queue == format!("wa-{holder}")),
                "{claim:?}"
            );
        }
    }
    assert_eq!(
        leases::renew(db, holder, LEASE, &[session]).await.unwrap(),
        [session]
    );
    assert!(
        leases::renew(db, other, LEASE, &[session])
            .await
            .unwrap()
            .is_empty()
    );

    // Not renewed, the lease lapses; the other node takes the session over.
    tokio::time::sleep(LEASE + Duration::from_millis(300)).await;
    assert_eq!(leases::owner(db, session).await.unwrap(), None);
    assert!(leases::lapsed(db, 10).await.unwrap().contains(&session));
    assert!(
        leases::renew(db, holder, LEASE, &[session])
            .await
            .unwrap()
            .is_empty(),
        "a lapsed lease is claimed again, not silently renewed"
    );
    let moved = leases::claim(db, session, other, &format!("wa-{other}"), LEASE)
        .await
        .unwrap();
    assert_eq!(
        moved,
        Claim::Mine {
            took_over_from: Some(holder.to_owned())
        }
    );
    // The old holder learns it lost the session from its next renewal.
    assert!(
        leases::renew(db, holder, LEASE, &[session])
            .await
            .unwrap()
            .is_empty()
    );
    leases::set_state(db, session, other, "connected")
        .await
        .unwrap();
    let view = &leases::all(db).await.unwrap()[&session.to_string()];
    assert_eq!(
        (
            view.node_id.as_str(),
            view.live,
            view.state.as_deref(),
            view.takeovers
        ),
        (other, true, Some("connected"), 1)
    );

    // A hand-back frees the session at once and takes the node out of the choice.
    assert_eq!(leases::hand_back(db, other).await.unwrap(), 1);
    assert_eq!(leases::owner(db, session).await.unwrap(), None);
    let next = leases::least_loaded_node(db, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("a live node remains");
    assert_ne!(next.node_id, other, "a stopped node gets no new sessions");
    let back = leases::claim(db, session, holder, &format!("wa-{holder}"), LEASE)
        .await
        .unwrap();
    assert_eq!(
        back,
        Claim::Mine {
            took_over_from: Some(other.to_owned())
        }
    );
}
