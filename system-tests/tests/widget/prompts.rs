//! Server prompts as `/` commands in the browser, from the keyboard only, through the real edge
//! and the real northwind-mcp: `/` in the composer lists Northwind's prompts, typing filters,
//! the arrows and Enter pick one, its argument form takes the year and Enter, and the prompt's
//! text lands in the composer, not sent; Escape closes the menu.

use fantoccini::key::Key;
use serde_json::json;

use crate::widget::chain::{Chain, ChainConfig};

fn key(key: Key) -> String {
    char::from(key).to_string()
}

#[tokio::test]
async fn a_prompt_is_picked_and_filled_from_the_keyboard() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain
                .eval(
                    "root.querySelector('input[data-server-id=\"northwind\"]').click();
                     root.querySelector('textarea[data-role=\"input\"]').focus();
                     return true;",
                    vec![],
                )
                .await?;
            chain.press(None, "/").await?;
            let listed = chain
                .wait(
                    "the prompt menu",
                    "const options = [...root.querySelectorAll('[role=\"listbox\"] [role=\"option\"]')];
                     return options.length === 2 && options.map(o => o.textContent);",
                    30,
                )
                .await?;
            anyhow::ensure!(
                listed[0].as_str().is_some_and(|t| t.starts_with("/top_customers"))
                    && listed[1].as_str().is_some_and(|t| t.starts_with("/sales_review")),
                "{listed}"
            );
            chain.press(None, &key(Key::Escape)).await?;
            chain
                .wait("the menu closed", "return !root.querySelector('[role=\"listbox\"]');", 10)
                .await?;
            chain.press(None, &key(Key::Backspace)).await?;
            chain.press(None, "/s").await?;
            chain.press(None, &key(Key::Down)).await?;
            chain
                .wait(
                    "one option, highlighted",
                    "const options = root.querySelectorAll('[role=\"option\"]');
                     return options.length === 1 && options[0].getAttribute('aria-selected') === 'true';",
                    10,
                )
                .await?;
            chain.press(None, &key(Key::Enter)).await?;
            chain
                .wait(
                    "the year field focused",
                    "return root.activeElement?.dataset.arg === 'year';",
                    10,
                )
                .await?;
            chain.press(None, "1997").await?;
            chain.press(None, &key(Key::Enter)).await?;
            let text = chain
                .wait(
                    "the prompt in the composer",
                    "const v = root.querySelector('textarea[data-role=\"input\"]').value;
                     return v.startsWith('Review') && v;",
                    30,
                )
                .await?;
            anyhow::ensure!(
                text == json!("Review our sales of 1997: the total after discounts, the sales by category (largest first) and by month, and what stands out."),
                "{text}"
            );
            let asked = chain
                .eval("return root.querySelectorAll('[data-author=\"user\"]').length;", vec![])
                .await?;
            anyhow::ensure!(asked == json!(0), "inserted, not sent");
            anyhow::ensure!(chain.provider.request_count() == 0, "no chat request");
            Ok(())
        })
        .await
}
