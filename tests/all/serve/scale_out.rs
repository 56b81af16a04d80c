//! Several `sluice serve --http` instances on one real Redis (`--state redis+unix://...`): any instance
//! answers for any task, in both task eras, with the Python SDK as the client; an instance killed with
//! SIGKILL has its tasks failed, not stuck or rerun; Redis going away gives errors, not hangs, and a
//! program running through the outage still gets its result recorded.

use super::*;
use crate::redis_server::RedisServer as Redis;

fn signal(pid: u32, name: &str) {
    let sent = std::process::Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status().unwrap();
    assert!(sent.success());
}

/// `sluice serve --http` on `redis` with `flags`.
async fn instance(config: &str, redis: &Redis, flags: &[&str]) -> HttpServer {
    let url = redis.url();
    let mut all = vec!["--state", url.as_str(), "--task-lease", "2s"];
    all.extend_from_slice(flags);
    HttpServer::start(config, &all, &[]).await
}

/// `tasks/get` until `check` holds for the task (or the step's time is up).
async fn poll_until(client: &mut Client, era: Era, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + STEP;
    loop {
        let task = client.raw("tasks/get", json!({ "taskId": id })).await.expect("tasks/get answers");
        if check(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "task {id} never became {what} ({era:?}): {task}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_created_through_one_instance_is_polled_fetched_listed_and_cancelled_through_another_in_both_eras() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    // A sets a waiting program's memory aside at once, so the stuck ones below are.
    let a = instance(&config, &redis, &["--task-after", "200ms", "--hibernate-after", "1ms"]).await;
    let b = instance(&config, &redis, &["--task-after", "200ms"]).await;
    let mut on_a = Client::start().await;
    let mut on_b = Client::start().await;
    let mut cancelled = 0;
    for era in BOTH_ERAS {
        on_a.connect_with(era, &a.transport(), tasks_extension()).await;
        on_b.connect_with(era, &b.transport(), tasks_extension()).await;

        // Created on A, waited for on B: `tasks/result` (2025) or `tasks/get` (2026) through B ends with A's result.
        let id = match era {
            Era::Legacy => {
                let code = "await new Promise((done) => setTimeout(done, 300)); console.log(6 * 7);";
                create_task(&mut on_a, code, 60_000).await["taskId"].as_str().unwrap().to_owned()
            }
            Era::Modern => {
                let code = "const waited = await tools.slow.wait({ seconds: 0.5 }); console.log(waited.result);";
                let answer = on_a.raw("tools/call", json!({ "name": "execute", "arguments": { "code": code } })).await;
                let task = answer.expect("execute is accepted");
                assert_eq!(task["resultType"], "task", "{task}");
                task["taskId"].as_str().unwrap().to_owned()
            }
        };
        match era {
            Era::Legacy => {
                let result = on_b.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await;
                let result = result.expect("tasks/result through the other instance waits for the end");
                assert_eq!(text(&result), "42\n", "{result}");
                let listed = on_b.request_as("tasks/list", json!({}), "ListTasksResult").await.unwrap();
                let listed: Vec<&Value> = listed["tasks"].as_array().unwrap().iter().map(|t| &t["taskId"]).collect();
                assert!(listed.contains(&&json!(id)), "{listed:?}");
            }
            Era::Modern => {
                let over = poll_until_over(&mut on_b, era, &id).await;
                assert_eq!((over["status"].as_str(), text(&over["result"])), (Some("completed"), "waited 0.5 s\n"));
            }
        }

        // Stuck on A, cancelled through B: A stops the program, and the upstream call with it.
        cancelled += 1;
        let id = start_stuck_task(&mut on_a, era).await;
        wait_for_events(&record, "started", cancelled + usize::from(era == Era::Modern)).await;
        let deadline = Instant::now() + STEP;
        while !metrics(&a).await.contains("sluice_programs_set_aside 1") {
            assert!(Instant::now() < deadline, "the stuck program was never set aside:\n{}", metrics(&a).await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        on_b.raw("tasks/cancel", json!({ "taskId": id })).await.expect("the other instance accepts the cancel");
        let over = poll_until_over(&mut on_b, era, &id).await;
        assert_eq!(over["status"], "cancelled", "{over}");
        wait_for_events(&record, "cancelled", cancelled).await;
        assert_eq!(poll_until_over(&mut on_a, era, &id).await["status"], "cancelled");

        on_a.disconnect().await;
        on_b.disconnect().await;
    }
    // A ran every program: its /metrics count them, their tool calls and the tasks it created.
    let metrics = metrics(&a).await;
    for line in [
        "sluice_tasks_total{state=\"created\"} 4",
        "sluice_tasks_total{state=\"cancelled\"} 2",
        "sluice_tool_calls_total{server=\"slow\"} 3",
        "sluice_programs_in_flight 0",
        "sluice_programs_set_aside 0",
        "sluice_set_aside_bytes 0",
    ] {
        assert!(metrics.contains(line), "{line} not in A's metrics:\n{metrics}");
    }
    assert!(metrics.contains("sluice_runs_total{status=\"ok\",limit=\"\"} 2"), "{metrics}");
    on_a.finish().await;
    on_b.finish().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_of_an_instance_killed_with_sigkill_ends_failed_as_lost_and_is_not_run_again() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let a = instance(&config, &redis, &[]).await;
    let b = instance(&config, &redis, &[]).await;
    let mut on_a = Client::connected(Era::Legacy, &a.transport()).await;
    let id = start_stuck_task(&mut on_a, Era::Legacy).await;
    wait_for_events(&record, "started", 1).await;
    signal(a.child.id().unwrap(), "KILL");

    let mut on_b = Client::connected(Era::Legacy, &b.transport()).await;
    let killed_at = Instant::now();
    let over = poll_until(&mut on_b, Era::Legacy, &id, "failed", |task| task["status"] != "working").await;
    assert_eq!(over["status"], "failed", "{over}");
    assert!(over["statusMessage"].as_str().unwrap().contains("instance running this program was lost"), "{over}");
    // The lease is 2 s and sweeps run every second: two missed sweeps after the lease lapses.
    eprintln!("lost task reported failed {:?} after the kill", killed_at.elapsed());
    let result = on_b.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await.unwrap();
    assert_eq!(result["isError"], true, "{result}");
    // Nobody ran it again: the slow tool was started once.
    assert_eq!(events(&record).iter().filter(|e| *e == "started").count(), 1, "{:?}", events(&record));
    drop(on_a);
    on_b.finish().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_task_requests_fail_at_once_and_a_running_program_still_gets_its_result_recorded() {
    let mut redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), json!({}));
    let a = instance(&config, &redis, &[]).await;
    let b = instance(&config, &redis, &[]).await;
    let ready = |server: &HttpServer| {
        let url = format!("{}/readyz", server.base);
        async move { http().get(url).send().await.unwrap().status().as_u16() }
    };
    wait_until_ready(&b).await;

    let mut on_a = Client::connected(Era::Legacy, &a.transport()).await;
    let code = "await new Promise((done) => setTimeout(done, 2000)); console.log('survived');";
    let id = create_task(&mut on_a, code, 60_000).await["taskId"].as_str().unwrap().to_owned();
    redis.stop();

    let mut on_b = Client::connected(Era::Legacy, &b.transport()).await;
    let asked = Instant::now();
    let error = on_b.request("tasks/get", json!({ "taskId": id })).await.expect_err("no state, no answer");
    assert_eq!(error["code"], -32603, "{error}");
    assert!(error["message"].as_str().unwrap().contains("task state store is unavailable"), "{error}");
    assert!(asked.elapsed() < Duration::from_secs(30), "the error came only after {:?}", asked.elapsed());
    assert_eq!(ready(&b).await, 503, "/readyz says the state store is away");
    let errors = metrics(&b).await;
    assert!(!errors.contains("sluice_state_store_errors_total 0\n"), "B counted no state-store errors:\n{errors}");

    // The program ends while Redis is away (A says it cannot record the end yet); the result is written
    // once Redis is back.
    wait_until("A to try to record the task's end", STEP, || {
        a.stderr.lock().unwrap().contains("cannot record the task's end yet")
    })
    .await;
    redis.restart();
    let over = poll_until(&mut on_b, Era::Legacy, &id, "over", |task| task["status"] != "working").await;
    assert_eq!(over["status"], "completed", "{over}");
    let result = on_b.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await.unwrap();
    assert_eq!(text(&result), "survived\n", "{result}");
    assert_eq!(ready(&b).await, 200, "/readyz recovers by itself");
    on_a.finish().await;
    on_b.finish().await;
    a.stop().await;
    b.stop().await;
}

/// The server's `/metrics` text.
async fn metrics(server: &HttpServer) -> String {
    let answer = http().get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    answer.text().await.unwrap()
}

async fn wait_until_ready(server: &HttpServer) {
    let deadline = Instant::now() + STEP;
    let url = format!("{}/readyz", server.base);
    while http().get(&url).send().await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(Instant::now() < deadline, "{url} never turned ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_expired_and_other_clients_task_ids_are_refused_and_a_huge_result_fails_its_task_saying_why() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), json!({}));
    let flags = ["--auth-token-env", TOKEN_VARIABLE, "--auth-token-env", "SLUICE_TEST_SERVE_TOKEN_2"];
    let tokens = [(TOKEN_VARIABLE, "alice-token"), ("SLUICE_TEST_SERVE_TOKEN_2", "bob-token")];
    let url = redis.url();
    let mut all = vec!["--state", url.as_str(), "--max-task-result", "4KiB"];
    all.extend_from_slice(&flags);
    let a = HttpServer::start(&config, &all, &tokens).await;
    let b = HttpServer::start(&config, &all, &tokens).await;
    let mut alice = Client::connected(Era::Legacy, &a.transport_with_token("alice-token")).await;
    let mut bob = Client::connected(Era::Legacy, &b.transport_with_token("bob-token")).await;

    let mine = create_task(&mut alice, "console.log('mine')", 60_000).await["taskId"].as_str().unwrap().to_owned();
    for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
        assert_invalid_params(bob.request(method, json!({ "taskId": mine })).await, "another client's task");
        let unknown = uuid::Uuid::new_v4().to_string();
        assert_invalid_params(bob.request(method, json!({ "taskId": unknown })).await, "an unknown task");
        assert_invalid_params(bob.request(method, json!({ "taskId": "x".repeat(10_000) })).await, "a huge id");
    }
    let listed = bob.request_as("tasks/list", json!({}), "ListTasksResult").await.unwrap();
    assert_eq!(listed["tasks"], json!([]), "{listed}");
    assert_invalid_params(bob.request("tasks/list", json!({ "cursor": "not-a-cursor" })).await, "a made-up cursor");

    // A task whose TTL has passed is gone everywhere.
    let brief = create_task(&mut alice, "console.log(1)", 1_000).await["taskId"].as_str().unwrap().to_owned();
    let mut alice_on_b = Client::connected(Era::Legacy, &b.transport_with_token("alice-token")).await;
    let deadline = Instant::now() + STEP;
    while alice_on_b.request("tasks/get", json!({ "taskId": brief })).await.is_ok() {
        assert!(Instant::now() < deadline, "the expired task is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_invalid_params(alice_on_b.request("tasks/result", json!({ "taskId": brief })).await, "an expired task");
    // Redis never grows without bound: every key but the creation counter and the set of working tasks
    // (emptied as they end) expires.
    let forever = redis.keys_without_ttl();
    assert!(forever.iter().all(|key| key == "sluice:seq" || key == "sluice:working"), "{forever:?}");

    // A result over --max-task-result is not stored; the task fails and says why.
    let huge = create_task(&mut alice, "console.log('x'.repeat(100000))", 60_000).await;
    let huge = huge["taskId"].as_str().unwrap();
    let result = alice_on_b.request("tasks/result", json!({ "taskId": huge })).await.unwrap();
    assert_eq!(result["isError"], true, "{result}");
    assert!(text(&result).contains("over this server's task result cap of 4096 bytes"), "{result}");
    assert_eq!(poll_until_over(&mut alice_on_b, Era::Legacy, huge).await["status"], "failed");

    alice.finish().await;
    alice_on_b.finish().await;
    bob.finish().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_shut_down_lets_short_tasks_finish_and_ends_the_rest_cancelled_saying_why() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), json!({}));
    // HttpServer gives every instance `--grace 1s`.
    let a = instance(&config, &redis, &[]).await;
    let b = instance(&config, &redis, &[]).await;
    // The grace is for programs, not for preparing the interpreter (a fresh cache takes longer than 1 s).
    wait_until_ready(&a).await;
    let mut on_a = Client::connected(Era::Legacy, &a.transport()).await;
    let short = "await new Promise((done) => setTimeout(done, 300)); console.log('made it');";
    let short = create_task(&mut on_a, short, 60_000).await["taskId"].as_str().unwrap().to_owned();
    let long = "await new Promise((done) => setTimeout(done, 600000));";
    let long = create_task(&mut on_a, long, 60_000).await["taskId"].as_str().unwrap().to_owned();
    on_a.disconnect().await;
    a.stop().await;

    let mut on_b = Client::connected(Era::Legacy, &b.transport()).await;
    let done = poll_until_over(&mut on_b, Era::Legacy, &short).await;
    assert_eq!(done["status"], "completed", "{done}");
    let result = on_b.request("tasks/result", json!({ "taskId": short })).await.unwrap();
    assert_eq!(text(&result), "made it\n");
    let cut = poll_until_over(&mut on_b, Era::Legacy, &long).await;
    assert_eq!(cut["status"], "cancelled", "{cut}");
    assert!(cut["statusMessage"].as_str().unwrap().contains("shut down before it finished"), "{cut}");
    on_a.finish_disconnected().await;
    on_b.finish().await;
    b.stop().await;
}
