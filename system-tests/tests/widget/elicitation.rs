//! A server's question in the browser, through the real edge and northwind-mcp (edge tool mode):
//! `sales_for_year` asks which year; the form shows inside the call's card (a labelled, required
//! number field with its range), a wrong value is named and nothing is sent, and Submit with a
//! year continues the same answer, which ends with that year's real total.

use crate::widget::chain::{Chain, ChainConfig};

#[tokio::test]
async fn the_form_is_filled_and_the_tool_finishes_with_the_year_given() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![("TOOL_MODE", "edge"), ("PROVIDER", "chat_completions")],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("What were the sales? Ask me for which one.", true).await?;
            let form = chain
                .wait(
                    "the question's form in the tool card",
                    "const form = root.querySelector('[data-role=\"tool-call\"][data-tool=\"sales_for_year\"] form[data-role=\"elicitation\"][data-state=\"open\"]');
                     const input = form?.querySelector('input[name=\"year\"]');
                     const label = input && root.querySelector(`label[for=\"${input.id}\"]`);
                     return form && input && { message: form.getAttribute('aria-label'),
                        type: input.type, required: input.required, min: input.min, max: input.max,
                        label: label?.textContent ?? '', open: form.closest('details').open,
                        described: !!input.getAttribute('aria-describedby') };",
                    60,
                )
                .await?;
            anyhow::ensure!(
                form["message"].as_str().is_some_and(|m| m.contains("Which year")),
                "{form}"
            );
            anyhow::ensure!(
                form["type"] == "number" && form["required"] == true,
                "{form}"
            );
            anyhow::ensure!(form["min"] == "1996" && form["max"] == "1998", "{form}");
            anyhow::ensure!(form["label"] == "year" && form["open"] == true, "{form}");
            anyhow::ensure!(form["described"] == true, "{form}");
            let rounds = chain.provider.request_count();
            // A year out of range: the form names the field, nothing goes out.
            chain
                .eval(
                    "root.querySelector('form[data-role=\"elicitation\"] input[name=\"year\"]').value = '2001';",
                    vec![],
                )
                .await?;
            chain
                .click("form[data-role=\"elicitation\"] button[data-action=\"elicit-accept\"]")
                .await?;
            let error = chain
                .wait(
                    "the form to name the wrong field",
                    "return root.querySelector('[data-role=\"elicitation-error\"]')?.textContent || null;",
                    10,
                )
                .await?;
            anyhow::ensure!(error.as_str().is_some_and(|e| e.contains("year")), "{error}");
            anyhow::ensure!(chain.provider.request_count() == rounds, "nothing was sent");
            chain.screenshot("elicitation").await?;
            chain
                .eval(
                    "root.querySelector('form[data-role=\"elicitation\"] input[name=\"year\"]').value = '1997';",
                    vec![],
                )
                .await?;
            chain
                .click("form[data-role=\"elicitation\"] button[data-action=\"elicit-accept\"]")
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(
                end["text"].as_str().is_some_and(|t| t.contains("617085.2")),
                "1997's total: {end}"
            );
            let card = chain
                .eval(
                    "const card = root.querySelector('[data-role=\"tool-call\"][data-tool=\"sales_for_year\"]');
                     return { status: card.dataset.status,
                              form: card.querySelector('form[data-role=\"elicitation\"]').dataset.state,
                              result: card.querySelector('[data-role=\"result\"]')?.textContent ?? '' };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(card["status"] == "done" && card["form"] == "sent", "{card}");
            anyhow::ensure!(
                card["result"].as_str().is_some_and(|r| r.contains("1997")),
                "{card}"
            );
            Ok(())
        })
        .await
}
